"""Brands are the tenants, with their master data: products, regions, dealers, stores and staff.

Every other domain's rows carry a `brand_id` from here, and every query filters by it.
"""
